/**
 * The metric writer's worker thread: opens its own connection and applies the logger's jobs in the
 * order they arrive. A job sent with a shared flag is acknowledged through it (1 done, 2 failed), so
 * that the logger can wait for it synchronously while the process is exiting.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type Backend, openBackend } from './backend.js';
import { applyJob, type WriteJob } from './writer.js';

interface Message {
  id: number;
  job?: WriteJob;
  flag?: Int32Array;
  close?: boolean;
}

const port = parentPort!;
let backend: Backend;
try {
  backend = await openBackend((workerData as { url: string }).url);
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ openError: (error as Error).message });
  process.exit(0);
}

let chain: Promise<void> = Promise.resolve();
port.on('message', (message: Message) => {
  chain = chain.then(async () => {
    let error: string | undefined;
    try {
      if (message.job) await applyJob(backend, message.job);
      if (message.close) await backend.close();
    } catch (e) {
      error = (e as Error).message;
      if (message.flag) process.stderr.write(`ato: ${error}\n`);
    }
    if (message.flag) {
      Atomics.store(message.flag, 0, error === undefined ? 1 : 2);
      Atomics.notify(message.flag, 0);
    } else {
      port.postMessage({ id: message.id, ...(error === undefined ? {} : { error }) });
    }
  });
});
