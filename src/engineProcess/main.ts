import { isRequestMessage, type ResponseMessage } from '../protocol/engineProtocol';
import { EngineService, errorPayload } from './engineService';

/**
 * The engine process: started by the extension host with fork() (IPC, advanced serialisation),
 * it answers protocol requests one at a time, so a long run or a native crash never touches
 * the editor. Malformed messages are answered (when they carry an id) and otherwise ignored.
 */
const service = new EngineService();
let queue: Promise<void> = Promise.resolve();

function send(message: ResponseMessage): void {
  process.send?.(message);
}

process.on('message', (message: unknown) => {
  if (!isRequestMessage(message)) {
    const id = (message as { id?: unknown } | null)?.id;
    if (Number.isSafeInteger(id)) send({ kind: 'response', id: id as number, ok: false, error: { message: 'malformed request', userError: false } });
    return;
  }
  queue = queue.then(async () => {
    try {
      send({ kind: 'response', id: message.id, ok: true, result: await service.handle(message.method, message.params) });
    } catch (error) {
      send({ kind: 'response', id: message.id, ok: false, error: errorPayload(error) });
    }
  });
});

// The host went away: nothing is left to answer.
process.on('disconnect', () => {
  void service.unload().finally(() => process.exit(0));
});

if (!process.send) {
  console.error('mechlens engine: start this with fork() from the extension (it talks over IPC)');
  process.exit(2);
}
