import { type z } from 'zod';
import { SealpostError } from '../../app/errors.ts';
import { fail, ok, type AppError, type Result } from '../../app/result.ts';
import {
  CallError,
  events,
  isProcedureName,
  procedures,
  type EventName,
  type EventPayload,
  type ProcedureName,
} from '../../app/ipc/contract.ts';
import { createHandlers, type Handlers, type Services } from './handlers.ts';

export type Dispatch = (procedure: string, input: unknown) => Promise<Result<unknown>>;

/** Zod's issue text names the field and the rule, never the value; it is still kept short. */
function describeIssue(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid input';
  const where = first.path.length ? first.path.map(String).join('.') : 'input';
  return `${where}: ${first.message}`.slice(0, 200);
}

/**
 * An error as the contract sends it. It is checked against the registry on
 * the way out (code, and details of that code's shape), as the renderer
 * checks it on the way in: what fails the check is a bug here, sent as one.
 */
function toAppError(e: unknown): AppError {
  // Anything but a SealpostError is a bug or a library failure whose text could carry data: the code only.
  const error = e instanceof SealpostError ? e.toAppError() : new SealpostError('internal').toAppError();
  const checked = CallError.safeParse(error);
  return checked.success ? checked.data : new SealpostError('internal', `a ${error.code} error did not match the registry`).toAppError();
}

/**
 * The one entry point for calls from outside the main process: Electron IPC,
 * the command line and the test WebSocket bridge all go through here.
 *
 * It checks the procedure name and the input against app/ipc/contract.ts,
 * calls the handler, checks the output, and always resolves to a `Result`
 * (Electron passes only an error's message through a rejected invoke, so
 * errors travel as values). It never rejects.
 */
export function createDispatcher(services: Services, handlers: Handlers = createHandlers(services)): Dispatch {
  return async (procedure, input) => {
    try {
      if (!isProcedureName(procedure)) {
        const shown = typeof procedure === 'string' ? `"${procedure.slice(0, 64)}"` : typeof procedure;
        return fail(toAppError(new SealpostError('protocol-invalid', `unknown procedure ${shown}`)));
      }
      const spec = procedures[procedure];
      const params = spec.input.safeParse(input);
      if (!params.success) {
        return fail(toAppError(new SealpostError('protocol-invalid', `${procedure}: ${describeIssue(params.error)}`)));
      }
      const handler = handlers[procedure] as (p: unknown) => Promise<unknown>;
      const value = await handler(params.data);
      const output = spec.output.safeParse(value);
      if (!output.success) return fail(toAppError(new SealpostError('internal', `${procedure}: the answer did not match the contract`)));
      return ok(output.data);
    } catch (e) {
      return fail(toAppError(e));
    }
  };
}

/** Validate an event before it leaves main (a malformed event is a bug here, not something to send). */
export function checkEvent<E extends EventName>(event: E, payload: EventPayload<E>): EventPayload<E> {
  return events[event].parse(payload) as EventPayload<E>;
}

export type { ProcedureName, Services };
