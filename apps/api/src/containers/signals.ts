/** Linux signal names the engine understands, without the SIG prefix. */
const NAMES = [
  'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM', 'STKFLT',
  'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'PWR', 'SYS',
] as const;

const KNOWN = new Set<string>(NAMES);

/** `KILL`, `SIGKILL`, `sigterm`, `9`, `SIGRTMIN+3` → the canonical `SIGKILL` / `9` form, or undefined when unknown. */
export function normalizeSignal(value: string): string | undefined {
  const v = value.trim().toUpperCase();
  if (/^\d{1,2}$/.test(v)) {
    const n = Number(v);
    return n >= 1 && n <= 64 ? String(n) : undefined;
  }
  const name = v.startsWith('SIG') ? v.slice(3) : v;
  if (KNOWN.has(name)) return `SIG${name}`;
  const rt = /^RTM(IN|AX)([+-]\d{1,2})?$/.exec(name);
  if (rt && Math.abs(Number(rt[2] ?? 0)) <= 30) return `SIG${name}`;
  return undefined;
}

export const SIGNAL_EXAMPLES = 'a signal name such as SIGTERM, TERM or SIGKILL, or a number from 1 to 64';
