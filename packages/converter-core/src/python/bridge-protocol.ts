import path from 'node:path';

import type { ConversionPhase, ProgressEvent } from '../progress-event';
import { bridgeModuleDirectory } from './resolve-package-directory';

/** One JSON object gpux_bridge.py wrote on stdout. */
export type BridgeEvent = { type: string } & Record<string, unknown>;

/** The environment a bridge child runs with: `extra` over `process.env`, the bridge on PYTHONPATH, the parent's pid for its watchdog. */
export function buildBridgeEnvironment(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...extra };
  const existing = merged.PYTHONPATH;
  const bridgeDirectory = bridgeModuleDirectory();
  merged.PYTHONPATH = existing !== undefined && existing !== '' ? `${bridgeDirectory}${path.delimiter}${existing}` : bridgeDirectory;
  merged.PYTHONUNBUFFERED = '1';
  merged.GPUX_BRIDGE_PARENT_PID = String(process.pid);
  merged.PYTHONIOENCODING = 'utf-8';
  return merged;
}

/** Parses one stdout line; tolerates noise printed before the event on the same line. */
export function parseBridgeEventLine(line: string): BridgeEvent | undefined {
  const trimmed = line.trim();
  if (trimmed === '') return undefined;
  const candidates = [trimmed];
  const embedded = trimmed.indexOf('{"type"');
  if (embedded > 0) candidates.push(trimmed.slice(embedded));
  for (const candidate of candidates) {
    if (!candidate.startsWith('{')) continue;
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { type?: unknown }).type === 'string') {
        return parsed as BridgeEvent;
      }
    } catch {
      // Not an event: noise that reached stdout.
    }
  }
  return undefined;
}

const phases = new Set<string>(['setup', 'resolve', 'download', 'detect', 'export', 'validate', 'optimize', 'quantize', 'write']);

/** How a script's `progress` and `log` events map to progress events: on `phase`, or on the phase each event names when not `phaseIsFixed`. */
export interface BridgePhaseChoice {
  phase: ConversionPhase;
  phaseIsFixed: boolean;
}

/** The progress events for one `progress` or `log` event of a script (none for other types). */
export function bridgeProgressEvents(event: BridgeEvent, { phase: defaultPhase, phaseIsFixed }: BridgePhaseChoice): ProgressEvent[] {
  const events: ProgressEvent[] = [];
  const message = typeof event.message === 'string' ? event.message : undefined;
  if (event.type === 'progress') {
    const phase =
      !phaseIsFixed && typeof event.phase === 'string' && phases.has(event.phase) ? (event.phase as ConversionPhase) : defaultPhase;
    if (typeof event.percent === 'number' && Number.isFinite(event.percent)) {
      const percentEvent: ProgressEvent = { type: 'percent', phase, percent: Math.min(100, Math.max(0, event.percent)) };
      if (message !== undefined) percentEvent.label = message;
      events.push(percentEvent);
    }
    if (message !== undefined) events.push({ type: 'message', phase, level: 'info', message });
  } else if (event.type === 'log' && message !== undefined) {
    const level = event.level === 'debug' || event.level === 'warning' ? event.level : event.level === 'error' ? 'warning' : 'info';
    events.push({ type: 'message', phase: defaultPhase, level, message });
  }
  return events;
}

/** The `peakRssBytes` a result or error event carries, when it is a number. */
export function reportedPeakRss(event: Record<string, unknown> | undefined): number | undefined {
  const value = event?.peakRssBytes;
  return typeof value === 'number' ? value : undefined;
}
