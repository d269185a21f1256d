/** Peak resident set size of this process since it started, in bytes (monotonic). */
export function processPeakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** A running measurement of this process's resident memory; see {@link startPeakRssSampler}. */
export interface PeakRssSampler {
  /** Stops sampling and returns the highest resident set size seen, in bytes. */
  stop(): number;
}

/**
 * Samples this process's resident set size (`process.memoryUsage.rss()`) now and every
 * `intervalMs` on an unref'd timer until `stop()`, keeping the maximum. When the process's
 * lifetime peak (`maxRSS`) rose while sampling, the new lifetime peak was reached in this window,
 * so it counts too: that catches spikes between samples and inside synchronous work.
 *
 * @param intervalMs - @default 100
 * @throws RangeError when `intervalMs` is not a positive number.
 * @example
 * ```ts
 * const sampler = startPeakRssSampler();
 * await work();
 * console.log(`peak ${sampler.stop()} bytes`);
 * ```
 */
export function startPeakRssSampler(intervalMs = 100): PeakRssSampler {
  if (!(typeof intervalMs === 'number' && intervalMs > 0)) throw new RangeError(`Parameter "intervalMs" must be a positive number, received ${String(intervalMs)}.`);
  const lifetimePeakAtStart = processPeakRssBytes();
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  timer.unref();
  let stopped: number | undefined;
  return {
    stop(): number {
      if (stopped !== undefined) return stopped;
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      const lifetimePeak = processPeakRssBytes();
      if (lifetimePeak > lifetimePeakAtStart) peak = Math.max(peak, lifetimePeak);
      stopped = peak;
      return peak;
    },
  };
}
