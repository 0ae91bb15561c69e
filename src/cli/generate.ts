// attention-inspector generate: text from a prompt, step by step with a key/value cache.
import { ModelError } from '../engine/errors';
import { generate as runGeneration, generateProblem, DEFAULT_GENERATE, type GenerateOptions } from '../engine/generate';
import { generationJson, textStream } from '../engine/generateJson';
import { loadEngine, num, PROG, readInputText, str, type CliCommand, type Flags } from './args';

export const generateCommand: CliCommand = {
  summary: 'Generate text from a prompt, step by step with a key/value cache; each step\'s candidates and attention.',
  usage: `${PROG} generate --model DIR (--text S | --file F) [options]`,
  options: {
    model: { value: 'DIR', help: 'model folder with config.json, model.safetensors and tokenizer.json (required)' },
    text: { value: 'S', help: 'the prompt' },
    file: { value: 'F', help: 'a UTF-8 text file holding the prompt (instead of --text)' },
    'max-new-tokens': { value: 'N', help: 'stop after N new tokens (default 20, at least 1)' },
    strategy: { value: 'greedy|sample', help: 'pick the most likely token, or sample (default greedy)' },
    temperature: { value: 'T', help: 'sampling temperature, > 0 (default 1)' },
    'top-k': { value: 'N', help: 'sample from the N most likely tokens only; 0 = off (default 0)' },
    'top-p': { value: 'P', help: 'nucleus sampling: the smallest set whose mass reaches P, in (0, 1]; 1 = off (default 1)' },
    seed: { value: 'N', help: 'seed of the sampler\'s PRNG (mulberry32; default 0)' },
    stop: { value: 'S', help: 'stop when the generated text contains S' },
    'no-cache': { help: 're-run the whole sequence at every step (for comparison)' },
    attentions: { help: 'with --json: each step\'s attention row [layer][head][key]' },
    json: { help: 'print one JSON object (steps, text, stopReason, cache, timings) instead of streaming the text' },
    help: { help: 'show this help' },
  },
  run,
};

async function run(flags: Flags): Promise<void> {
  const text = readInputText(flags);
  const options: Partial<GenerateOptions> = {
    maxNewTokens: num(flags, 'max-new-tokens', 20),
    strategy: (str(flags, 'strategy') ?? 'greedy') as GenerateOptions['strategy'],
    temperature: num(flags, 'temperature', 1),
    topK: num(flags, 'top-k', 0),
    topP: num(flags, 'top-p', 1),
    seed: num(flags, 'seed', 0),
    stop: str(flags, 'stop'),
    cache: !flags['no-cache'],
    attentions: !!flags.attentions,
  };
  const problem = generateProblem({ ...DEFAULT_GENERATE, ...options });
  if (problem) throw new ModelError(`--${problem.option}`, problem.problem);
  const engine = await loadEngine(flags);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const tok = engine.loaded!.tokenizer;
  const stream = textStream(options.stop);
  const ids: number[] = [];
  try {
    const r = await runGeneration(engine, text, options, (step) => {
      if (flags.json) return;
      if (ids.length === 0) process.stdout.write(text);
      ids.push(step.id);
      process.stdout.write(stream.push(tok.decode(ids)));
    }, controller.signal);
    if (flags.json) {
      process.stdout.write(JSON.stringify(generationJson(engine.loaded!.info, r, !!flags.attentions)) + '\n');
    } else {
      if (ids.length === 0) process.stdout.write(text);
      process.stdout.write(stream.end(r.text) + '\n');
      const per = r.timings.stepMs.length ? r.timings.stepMs.reduce((a, b) => a + b, 0) / r.timings.stepMs.length : 0;
      process.stderr.write(`${r.steps.length} tokens, stopped: ${r.stopReason}; prefill ${r.timings.prefillMs.toFixed(0)} ms, ${per.toFixed(1)} ms per token (${r.cache ? 'with' : 'without'} the cache)\n`);
    }
  } finally {
    process.off('SIGINT', onSigint);
    await engine.dispose();
  }
}

