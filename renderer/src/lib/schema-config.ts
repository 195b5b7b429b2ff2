/**
 * Zod without code generation, set before any schema is made. Zod compiles
 * object parsers with `new Function` where it can and probes for that at
 * the first object schema; the page's Content-Security-Policy has no
 * 'unsafe-eval', and even the caught probe is reported as a violation. The
 * renderer's schemas (errors checked at the bridge) are small: the
 * interpreter is fast enough.
 *
 * Imported first by every renderer module that brings in schemas from app/
 * (ES modules run their imports in order, so this runs before app/errors.ts).
 */
import { z } from 'zod';

z.config({ jitless: true });
