// The kernel side of dataspaces in isolated tasks: the SpaceHook an isolated task's
// address space carries. When a mapping lands in the task (map, a map or grant item,
// whatever path), the hook shares its dataspace (moves it into a SharedArrayBuffer,
// once: Dataspace.share), posts that memory to the worker on the task's MessagePort the
// first time the task maps it (before the kernel answers, as a new thread's ring is),
// and gives the mapping a live word in the task's word array. When the mapping goes
// (unmap, revoke, cap deleted, granted away, task or dataspace gone) the hook clears the
// word, so the worker's view of it faults on its next access (worker-mem.ts); when the
// task's last mapping of a dataspace goes, the hook tells the worker to drop its reference
// to that memory, so a deleted dataspace's memory is not kept alive by the worker's table
// (what the body itself still holds, a raw array or a dead view, stays until it drops it).

import type { MessagePort } from 'node:worker_threads';
import { MAX_MAPPINGS, type Dataspace, type Mapping, type SpaceHook } from '../dataspace.ts';
import type { DataspaceMessage, MapWire } from './ring.ts';

/** Words in a task's live-word array: word 0 is never given out (always 0: a dead mapping's). */
export const MAP_WORDS_COUNT = MAX_MAPPINGS + 1;

/** The hook of one isolated task's address space. */
export class WorkerSpaceHook implements SpaceHook {
  /** The live words, shared with the worker (WorkerInit.mapWords). */
  readonly sab = new SharedArrayBuffer(MAP_WORDS_COUNT * 4);
  private readonly words = new Int32Array(this.sab);
  private readonly free: number[] = [];
  private next = 1;
  private gen = 0;
  /** Dataspaces whose memory the worker holds, with the task's live mappings of each. */
  private readonly sent = new Map<Dataspace, number>();

  constructor(private readonly port: MessagePort) {}

  attached(m: Mapping): void {
    const ds = m.ds;
    ds.share();
    const held = this.sent.get(ds);
    if (held === undefined) {
      const msg: DataspaceMessage = { dataspace: ds.id, memory: ds.buffer as SharedArrayBuffer };
      this.port.postMessage(msg);
    }
    this.sent.set(ds, (held ?? 0) + 1);
    const idx = this.free.pop() ?? this.next++;
    // The callers check MAX_MAPPINGS before placing a mapping, so there is always a word.
    if (idx >= MAP_WORDS_COUNT) throw new Error('isolated task: no live word left (MAX_MAPPINGS)');
    this.gen = (this.gen % 0x7fffffff) + 1;
    m.word = idx;
    m.gen = this.gen;
    Atomics.store(this.words, idx, this.gen);
  }

  detached(m: Mapping): void {
    Atomics.store(this.words, m.word, 0);
    this.free.push(m.word);
    m.word = -1;
    const left = (this.sent.get(m.ds) ?? 1) - 1;
    if (left > 0) {
      this.sent.set(m.ds, left);
      return;
    }
    this.sent.delete(m.ds);
    const msg: DataspaceMessage = { dataspace: m.ds.id, forget: true };
    this.port.postMessage(msg);
  }

  /** Dataspaces whose memory the worker was sent and not told to drop (tests, introspection). */
  get dataspacesShared(): number {
    return this.sent.size;
  }
}

/** A mapping as it crosses to the worker (a gone one gets word 0, which is always 0). */
export function wireOf(m: Mapping): MapWire {
  const live = m.live && m.word > 0;
  return {
    vaddr: m.vaddr,
    length: m.length,
    rights: m.rights,
    grant: false,
    offset: m.offset,
    dataspace: m.ds.id,
    word: live ? m.word : 0,
    gen: live ? m.gen : 1,
  };
}
