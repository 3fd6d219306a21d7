import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { findNtcTemplates, NtcTemplateNotFoundError, parseNtcIndex, type NtcIndexEntry } from './ntc-templates.js';

/**
 * The ntc-templates folder of the configuration (`NTC_TEMPLATES_DIR`, filled by `install.sh ntc-templates`): its
 * index, read once, and its templates, read on first use and kept. Index and templates are the operator's files,
 * never the request's: a template name comes from the index only, and only as a file name inside the folder.
 */
export class NtcTemplatesUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NtcTemplatesUnavailableError';
  }
}

export interface NtcSelection {
  /** The platform the index was searched with (after aliases and the XE → IOS fallback). */
  platform: string;
  /** Template file names. */
  templates: string[];
  /** Their texts, in the same order. */
  texts: string[];
}

export class NtcTemplatesDir {
  private readonly texts = new Map<string, Promise<string>>();

  private constructor(
    readonly dir: string,
    private readonly index: readonly NtcIndexEntry[],
  ) {}

  static async open(dir: string): Promise<NtcTemplatesDir> {
    let text: string;
    try {
      text = await readFile(join(dir, 'index'), 'utf8');
    } catch (e) {
      throw new NtcTemplatesUnavailableError(
        `the ntc-templates index is not readable at ${join(dir, 'index')} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); install it with \`bash scripts/stack/install.sh ntc-templates\` or set NTC_TEMPLATES_DIR`,
      );
    }
    return new NtcTemplatesDir(dir, parseNtcIndex(text));
  }

  /** The templates for `command` on `platform`. @throws NtcTemplateNotFoundError */
  async select(platform: string, command: string): Promise<NtcSelection> {
    const found = findNtcTemplates(this.index, platform, command);
    if (!found) throw new NtcTemplateNotFoundError(platform, command);
    const texts = await Promise.all(found.templates.map((t) => this.template(t)));
    return { ...found, texts };
  }

  private template(name: string): Promise<string> {
    let t = this.texts.get(name);
    if (!t) {
      const file = basename(name);
      t = readFile(join(this.dir, file), 'utf8').catch((e: NodeJS.ErrnoException) => {
        this.texts.delete(name);
        throw new NtcTemplatesUnavailableError(`ntc-templates template ${file} is not readable in ${this.dir} (${e.code ?? e.message})`);
      });
      this.texts.set(name, t);
    }
    return t;
  }
}

const opened = new Map<string, Promise<NtcTemplatesDir>>();

/** The folder's index, opened once per process (a failed open is tried again next time). */
export function ntcTemplatesDir(dir: string): Promise<NtcTemplatesDir> {
  let d = opened.get(dir);
  if (!d) {
    d = NtcTemplatesDir.open(dir);
    opened.set(dir, d);
    d.catch(() => opened.delete(dir));
  }
  return d;
}
