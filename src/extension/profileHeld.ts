// Pure (no 'vscode'): the two results the Layer Profile view holds — the latest selection's profile and the
// latest corpus profile — which one is shown, and which corpus text a head opens on.
import type { HeadStatName, ProfileResult } from '../engine/types';
import { HEAD_STAT_NAMES } from '../engine/types';
import type { ProfileHeld, ProfileOrigin, ToProfileMessage } from '../protocol';

export type ProfileMessage = Extract<ToProfileMessage, { type: 'profile' }>;

interface Slot { result: ProfileResult; title: string; running: boolean; texts?: readonly string[] }

export class HeldProfiles {
  private readonly slots: Partial<Record<ProfileOrigin, Slot>> = {};
  private active: ProfileOrigin | undefined;

  /**
   * Keep a result in its slot. A new result is shown unless `background` (a selection profile made while the
   * user browses the corpus, e.g. after opening a corpus head) — then the corpus stays on screen.
   */
  set(origin: ProfileOrigin, result: ProfileResult, title: string, opts: { running?: boolean; texts?: readonly string[]; background?: boolean } = {}): void {
    const texts = opts.texts ?? (origin === 'corpus' && this.slots.corpus?.result === result ? this.slots.corpus.texts : undefined);
    this.slots[origin] = { result, title, running: !!opts.running, texts };
    if (!opts.background || !this.active || !this.slots[this.active]) this.active = origin;
  }

  /** Show the other held result; false when that one is not held. */
  show(origin: ProfileOrigin): boolean {
    if (!this.slots[origin]) return false;
    this.active = origin;
    return true;
  }

  get shownOrigin(): ProfileOrigin | undefined { return this.active; }

  has(origin: ProfileOrigin): boolean { return !!this.slots[origin]; }

  result(origin: ProfileOrigin): ProfileResult | undefined { return this.slots[origin]?.result; }

  /** The message for the shown result (with what else is held), or undefined when nothing is held. */
  message(): ProfileMessage | undefined {
    const origin = this.active;
    const slot = origin && this.slots[origin];
    if (!origin || !slot) return undefined;
    const held: ProfileHeld = {};
    if (this.slots.selection) held.selection = this.slots.selection.title;
    if (this.slots.corpus) held.corpus = this.slots.corpus.title;
    return {
      type: 'profile', result: slot.result, origin, title: slot.title, running: slot.running, held,
      canOpenOnCorpus: origin === 'corpus' ? corpusHeadsOpenable(slot) : undefined,
    };
  }

  /** The corpus text a head opens on: `sequence` when given, else the one where the head's `stat` is most typical. */
  corpusText(layer: number, head: number, stat: HeadStatName = 'entropy', sequence?: number): CorpusText {
    const slot = this.slots.corpus;
    if (!slot) throw new Error('No corpus profile is held.');
    return pickCorpusText(slot.result, slot.texts, layer, head, stat, sequence);
  }
}

function corpusHeadsOpenable(slot: Slot): boolean {
  return !!slot.texts && !!slot.result.sequenceTexts && slot.result.sequenceTexts.length === slot.result.lengths.length;
}

export interface CorpusText {
  text: string;
  /** Index into `lengths` (the profile's order of sequences). */
  sequence: number;
  /** Index of the text in the profiled input. */
  textIndex: number;
  /** Why this one: "most typical for entropy" or "chosen". */
  reason: string;
}

/** See HeldProfiles.corpusText. Throws an Error that says what is missing. */
export function pickCorpusText(result: ProfileResult, texts: readonly string[] | undefined, layer: number, head: number,
  stat: HeadStatName, sequence?: number): CorpusText {
  const map = result.sequenceTexts;
  if (!texts || !map || map.length !== result.lengths.length) {
    throw new Error('The texts of this corpus profile are not at hand (a saved profile keeps only statistics): run Profile Texts again to open heads on its texts.');
  }
  if (layer >= result.model.layers || head >= result.model.heads) {
    throw new Error(`Layer ${layer} head ${head} does not exist in ${result.model.name}.`);
  }
  let seq: number;
  let reason: string;
  if (sequence !== undefined) {
    if (!Number.isInteger(sequence) || sequence < 0 || sequence >= map.length) {
      throw new Error(`There is no sequence ${sequence}: the corpus profile has sequences 0–${map.length - 1}.`);
    }
    seq = sequence;
    reason = 'chosen';
  } else {
    const k = HEAD_STAT_NAMES.indexOf(stat);
    const typical = result.typicalSequence?.[layer]?.[head]?.[k];
    seq = typeof typical === 'number' && typical >= 0 && typical < map.length ? typical : 0;
    reason = typeof typical === 'number' ? `most typical for ${statLabel(stat)}` : 'first';
  }
  const textIndex = map[seq];
  const text = texts[textIndex];
  if (typeof text !== 'string') throw new Error(`Sequence ${seq} has no text (index ${textIndex} of ${texts.length}).`);
  return { text, sequence: seq, textIndex, reason };
}

const LABELS: Record<HeadStatName, string> = { entropy: 'entropy', sinkMass: 'sink mass', prevToken: 'previous-token', meanDistance: 'mean distance' };
const statLabel = (s: HeadStatName) => LABELS[s];
