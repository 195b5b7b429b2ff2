import type { MessageChannelMain as MessageChannelMainType, MessagePortMain, UtilityProcess } from 'electron';
import { SealpostError } from '../../app/errors.ts';
import { portFromMessagePortMain } from '../../app/keyring-protocol.ts';
import type { KeyringClient } from '../../app/node/keyring-client.ts';
import { PortKeyringClient } from '../../keyring/client.ts';

/** The parts of Electron's API this module uses (a test passes fakes). */
export interface KeyringProcessApi {
  utilityProcess: {
    fork(modulePath: string, args?: string[], options?: { serviceName?: string; stdio?: 'inherit' | 'ignore' | 'pipe' }): UtilityProcess;
  };
  MessageChannelMain: new () => MessageChannelMainType;
}

export interface KeyringProcess {
  /** The client of the running keyring; after the process ended, a new one is started on first use. */
  readonly client: KeyringClient;
  /**
   * A client that forwards every call to the current one: for services made
   * once at start (the mail service) that must keep working after the
   * keyring process was restarted.
   */
  readonly live: KeyringClient;
  stop(): void;
}

/**
 * The keyring in an Electron utilityProcess (the only process that holds
 * secret keys and passphrases). It gets its own MessageChannelMain port and
 * the profile directory in one init message (keyring/utility-entry.ts).
 */
export function startKeyringProcess(api: KeyringProcessApi, entry: string, home: string): KeyringProcess {
  let current: { child: UtilityProcess; client: PortKeyringClient; port: MessagePortMain } | null = null;
  let stopped = false;

  const start = () => {
    const child = api.utilityProcess.fork(entry, [], { serviceName: 'Sealpost keyring', stdio: 'inherit' });
    const { port1, port2 } = new api.MessageChannelMain();
    const client = new PortKeyringClient(portFromMessagePortMain(port1));
    child.postMessage({ t: 'init', home }, [port2]);
    const running = { child, client, port: port1 };
    child.once('exit', () => {
      client.fail(new SealpostError('keyring-unavailable', 'the keyring process stopped'));
      port1.close();
      if (current === running) current = null;
    });
    current = running;
    return running;
  };

  const currentClient = () => {
    if (stopped) throw new SealpostError('keyring-unavailable', 'the app is closing');
    return (current ?? start()).client;
  };
  // The current client is taken when a method is called, not when it is read.
  const live: KeyringClient = {
    call: (method, params) => currentClient().call(method, params),
    stream: (method, params, input) => currentClient().stream(method, params, input),
    collect: (method, params, input) => currentClient().collect(method, params, input),
  };

  return {
    get client() {
      return currentClient();
    },
    live,
    stop() {
      stopped = true;
      if (!current) return;
      current.client.fail(new SealpostError('keyring-unavailable', 'the app is closing'));
      current.port.close();
      current.child.kill();
      current = null;
    },
  };
}
