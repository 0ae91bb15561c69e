// The one typed wrapper over the `attentionInspector.*` settings. Everything that reads a setting goes
// through `readConfig`; the parsing is pure (no runtime `vscode` import) so it can be unit-tested.
import type * as vscode from 'vscode';

export const SECTION = 'attentionInspector';
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
export const COLOR_SCHEMES = ['theme', 'viridis', 'magma'] as const;
export type ColorScheme = (typeof COLOR_SCHEMES)[number];

export interface ProfileConfig {
  batchSize: number;
  positions: number;
  includeFirstToken: boolean;
}

export interface Config {
  /** Hugging Face repo id of the model, e.g. "gpt2". */
  model: string;
  /** Local model folder; wins over `model` when set. */
  modelPath: string;
  /** Hub endpoint; HF_ENDPOINT is used when the setting is left at its default. */
  hubEndpoint: string;
  topK: number;
  /** Requested maximum tokens per analysis; cap it with `effectiveMaxTokens` once the model is known. */
  maxTokens: number;
  colorScheme: ColorScheme;
  decorationOpacity: number;
  profile: ProfileConfig;
}

export const DEFAULTS: Config = {
  model: 'gpt2',
  modelPath: '',
  hubEndpoint: DEFAULT_HUB_ENDPOINT,
  topK: 10,
  maxTokens: 1024,
  colorScheme: 'theme',
  decorationOpacity: 0.6,
  profile: { batchSize: 64, positions: 30, includeFirstToken: false },
};

type Getter = (key: string) => unknown;
type Env = Record<string, string | undefined>;

function str(get: Getter, key: string, fallback: string): string {
  const v = get(key);
  return typeof v === 'string' ? v.trim() : fallback;
}

function int(get: Getter, key: string, fallback: number, min: number, max: number): number {
  const v = get(key);
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  return Math.min(max, Math.max(min, Math.round(v)));
}

function num(get: Getter, key: string, fallback: number, min: number, max: number): number {
  const v = get(key);
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  return Math.min(max, Math.max(min, v));
}

function bool(get: Getter, key: string, fallback: boolean): boolean {
  const v = get(key);
  return typeof v === 'boolean' ? v : fallback;
}

function colorScheme(v: unknown): ColorScheme {
  return COLOR_SCHEMES.find((s) => s === v) ?? DEFAULTS.colorScheme;
}

/** The hub endpoint: the setting when changed, else HF_ENDPOINT, else the default. No trailing slash. */
export function hubEndpoint(setting: string, env: Env): string {
  const fromEnv = env.HF_ENDPOINT?.trim();
  const chosen = setting && setting !== DEFAULT_HUB_ENDPOINT ? setting : fromEnv || DEFAULT_HUB_ENDPOINT;
  return chosen.replace(/\/+$/, '');
}

/** Parse settings from a getter (`WorkspaceConfiguration.get`), clamping every number to a sane range. */
export function parseConfig(get: Getter, env: Env): Config {
  return {
    model: str(get, 'model', DEFAULTS.model) || DEFAULTS.model,
    modelPath: str(get, 'modelPath', ''),
    hubEndpoint: hubEndpoint(str(get, 'hubEndpoint', DEFAULT_HUB_ENDPOINT), env),
    topK: int(get, 'topK', DEFAULTS.topK, 1, 100),
    maxTokens: int(get, 'maxTokens', DEFAULTS.maxTokens, 2, 1 << 20),
    colorScheme: colorScheme(get('colorScheme')),
    decorationOpacity: num(get, 'decorationOpacity', DEFAULTS.decorationOpacity, 0, 1),
    profile: {
      batchSize: int(get, 'profile.batchSize', DEFAULTS.profile.batchSize, 1, 4096),
      positions: int(get, 'profile.positions', DEFAULTS.profile.positions, 1, 4096),
      includeFirstToken: bool(get, 'profile.includeFirstToken', DEFAULTS.profile.includeFirstToken),
    },
  };
}

/** maxTokens capped at the model's context length. */
export function effectiveMaxTokens(config: Config, modelContext: number): number {
  return Math.min(config.maxTokens, modelContext);
}

/** Identity of the model the settings ask for: a change of this key means "reload". */
export function modelKey(config: Config): string {
  return config.modelPath ? `path:${config.modelPath}` : `hub:${config.hubEndpoint}/${config.model}`;
}

/** Read the current settings. Pass `vscode.workspace` (kept as a parameter so this file stays pure). */
export function readConfig(workspace: Pick<typeof vscode.workspace, 'getConfiguration'>, env: Env = process.env): Config {
  const section = workspace.getConfiguration(SECTION);
  return parseConfig((key) => section.get(key), env);
}

/** Does a configuration change event touch our section (or a sub-key of it)? */
export function affects(e: vscode.ConfigurationChangeEvent, key?: string): boolean {
  return e.affectsConfiguration(key ? `${SECTION}.${key}` : SECTION);
}

/**
 * Write one of our settings where it takes effect: the workspace when it is set there, else the user
 * settings. An empty string removes the value (back to the default).
 */
export async function writeSetting(
  workspace: Pick<typeof vscode.workspace, 'getConfiguration'>, key: string, value: unknown,
): Promise<void> {
  const section = workspace.getConfiguration(SECTION);
  const inspected = section.inspect(key);
  const inWorkspace = inspected?.workspaceFolderValue !== undefined || inspected?.workspaceValue !== undefined;
  await section.update(key, value === '' ? undefined : value, !inWorkspace);
}
