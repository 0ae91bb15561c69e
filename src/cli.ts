// attention-inspector: the engine headless. One file per command in src/cli/ (options, help, what it does);
// this file lists them and dispatches.
//   attention-inspector analyze --model DIR (--text S | --file F) [--top-k N] [--max-tokens N] [--repeat N]
//                               [--json [--attention f32|f16|u8|none] [--layer N]]
//   attention-inspector profile --model DIR --input FILE|DIR [--field F] [--column C] [--batch-size 64] [--positions 30] [--json]
//   attention-inspector generate --model DIR (--text S | --file F) [--max-new-tokens 20] [--strategy greedy|sample] [--temperature 1]
//                                [--top-k 0] [--top-p 1] [--seed 0] [--stop S] [--no-cache] [--attentions] [--json]
// Bad input and bad usage (an unknown or misspelt option, an option of the other command) exit with
// code 2 and one line naming the file, the option and the problem.
import { ModelError } from './engine/errors';
import { CorpusError } from './engine/corpus';
import { closest, parseArgs, PROG, UsageError, type CliCommand, type OptionSpec } from './cli/args';
import { analyzeCommand } from './cli/analyze';
import { profileCommand } from './cli/profile';
import { generateCommand } from './cli/generate';

export { closest } from './cli/args';
export { analysisTable, truncationNote } from './cli/analyze';

/** Every command, in the order `--help` lists them. Add a command: one file in src/cli/, one line here. */
const COMMANDS: Record<string, CliCommand> = {
  analyze: analyzeCommand,
  profile: profileCommand,
  generate: generateCommand,
};

const isCommand = (c: string): boolean => Object.hasOwn(COMMANDS, c);

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return `Usage:\n${names.map((c) => `  ${COMMANDS[c].usage}`).join('\n')}\nCommands:\n` +
    names.map((c) => `  ${c.padEnd(width)}  ${COMMANDS[c].summary}`).join('\n') +
    `\nRun \`${PROG} <command> --help\` for the options of a command.`;
}

function commandHelp(c: string): string {
  const opts = Object.entries(COMMANDS[c].options as Record<string, OptionSpec>);
  const names = opts.map(([name, o]) => `--${name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.max(...names.map((n) => n.length));
  return `${COMMANDS[c].summary}\n\nUsage: ${COMMANDS[c].usage}\n\nOptions:\n` +
    opts.map(([, o], i) => `  ${names[i].padEnd(width)}  ${o.help}`).join('\n');
}

function unknownOption(command: string, key: string): UsageError {
  const own = Object.keys(COMMANDS[command].options);
  const other = Object.keys(COMMANDS).find((c) => c !== command && Object.hasOwn(COMMANDS[c].options, key));
  if (other) return new UsageError(`--${key} is an option of "${other}", not of "${command}" (see ${PROG} ${command} --help)`);
  const near = closest(key, own);
  return new UsageError(`unknown option --${key} for "${command}"${near ? `; did you mean --${near}?` : ''} (see ${PROG} ${command} --help)`);
}

export async function main(argv: string[]): Promise<number> {
  try {
    const [command = '', ...rest] = argv;
    if (command === '' || command === 'help' || command === '--help' || command === '-h') {
      const topic = command === 'help' ? rest[0] : undefined;
      process.stdout.write((topic && isCommand(topic) ? commandHelp(topic) : usage()) + '\n');
      return command === '' ? 2 : 0;
    }
    if (!isCommand(command)) {
      const near = closest(command, Object.keys(COMMANDS));
      throw new UsageError(`unknown command "${command}"${near ? `; did you mean "${near}"?` : ''} (commands: ${Object.keys(COMMANDS).join(', ')})`);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(commandHelp(command) + '\n');
      return 0;
    }
    const flags = parseArgs(command, COMMANDS[command].options, rest, (key) => unknownOption(command, key));
    await COMMANDS[command].run(flags);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof ModelError || e instanceof CorpusError) {
      process.stderr.write(`${PROG}: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`${PROG}: ${err.message.split('\n')[0]}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
