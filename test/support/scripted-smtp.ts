// A scripted SMTP server on loopback (RFC 5321 replies; AUTH PLAIN accepted)
// for faults a real server cannot be made to show on demand: any reply can
// be overridden, and HANG leaves the final dot unanswered.
import { createServer, type Server, type Socket } from 'node:net';

/** The script's answer for "never reply". */
export const HANG = 'hang';

export type Reply = (command: string) => string | null;

/** A scripted SMTP server (RFC 5321 replies; AUTH PLAIN accepted): `script` may override any reply. */
export class ScriptedSmtp {
  readonly server: Server;
  port = 0;
  connections = 0;
  /** Message bodies received with a 250 to the final dot. */
  readonly delivered: string[] = [];
  /** Every message body received, whatever the answer. */
  readonly received: string[] = [];
  script: Reply = () => null;
  readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((socket) => this.serve(socket));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.setTimeout(10_000, () => socket.destroy());
    socket.write('220 scripted ESMTP\r\n');
    let buffer = '';
    let data: string[] | null = null;
    const reply = (command: string, normal: string) => socket.write(`${this.script(command) ?? normal}\r\n`);
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let i: number;
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (data) {
          if (line === '.') {
            const body = data.join('\r\n');
            data = null;
            this.received.push(body);
            const answer = this.script('.') ?? '250 2.0.0 queued';
            if (answer === HANG) continue;
            if (answer.startsWith('250')) this.delivered.push(body);
            socket.write(`${answer}\r\n`);
          } else data.push(line);
          continue;
        }
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') socket.write('250-scripted\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n');
        else if (verb === 'AUTH') reply(line, '235 2.7.0 ok');
        else if (verb === 'MAIL') reply(line, '250 2.1.0 ok');
        else if (verb === 'RCPT') reply(line, '250 2.1.5 ok');
        else if (verb === 'DATA') {
          const answer = this.script('DATA') ?? '354 go on';
          if (answer.startsWith('354')) data = [];
          socket.write(`${answer}\r\n`);
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
        } else if (verb === 'RSET' || verb === 'NOOP') socket.write('250 ok\r\n');
        else socket.write('502 5.5.2 not here\r\n');
      }
    });
    socket.on('error', () => undefined);
  }
}
