// Turns criterion's results into markdown tables: one row per benchmark measured since a
// given time, with criterion's median estimate per iteration, its 95 % confidence interval
// and, where the bench declares a throughput, the time per element and the rate (elements
// — timers, messages, requests — or bytes per second); then the
// io_uring ÷ epoll ratio of every benchmark measured on both drivers, and the memory
// figures P8 and P9 write next to their results.
//
// Usage: node bench/criterion-table.mjs CRITERION_DIR SINCE_EPOCH_SECONDS
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [dir, sinceArg] = process.argv.slice(2);
if (!dir || !sinceArg || Number.isNaN(Number(sinceArg))) {
  console.error('usage: node bench/criterion-table.mjs CRITERION_DIR SINCE_EPOCH_SECONDS');
  process.exit(2);
}
const since = Number(sinceArg) * 1000;

/** Every directory under `root` holding new/benchmark.json written after `since`. */
function results(root) {
  const found = [];
  const walk = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'report') continue;
      const sub = join(path, entry.name);
      const bench = join(sub, 'new', 'benchmark.json');
      const estimates = join(sub, 'new', 'estimates.json');
      if (existsSync(bench) && existsSync(estimates)) {
        if (statSync(estimates).mtimeMs >= since) {
          found.push({
            bench: JSON.parse(readFileSync(bench, 'utf8')),
            median: JSON.parse(readFileSync(estimates, 'utf8')).median,
          });
        }
      } else if (entry.name !== 'new' && entry.name !== 'base') {
        walk(sub);
      }
    }
  };
  walk(root);
  return found.sort((a, b) => a.bench.full_id.localeCompare(b.bench.full_id, 'en', { numeric: true }));
}

function time(ns) {
  if (ns < 1e3) return `${ns.toPrecision(3)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toPrecision(3)} ms`;
  return `${(ns / 1e9).toPrecision(3)} s`;
}

/** Elements per second (k, M) or bytes per second (MiB, GiB). */
function rate(perSecond, bytes) {
  if (bytes) {
    const gib = perSecond / 2 ** 30;
    return gib >= 1 ? `${gib.toPrecision(3)} GiB/s` : `${(perSecond / 2 ** 20).toPrecision(3)} MiB/s`;
  }
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toPrecision(3)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toPrecision(3)} k/s`;
  return `${perSecond.toPrecision(3)} /s`;
}

/** Elements (or bytes) per second at `ns` per iteration, and its formatted forms. */
function throughput(bench, ns) {
  const t = bench.throughput;
  if (!t) return null;
  if (t.Elements) return { n: t.Elements, perSecond: (t.Elements * 1e9) / ns, bytes: false };
  if (t.Bytes) return { n: t.Bytes, perSecond: (t.Bytes * 1e9) / ns, bytes: true };
  return null;
}

const found = results(dir);
if (found.length === 0) {
  console.error(`no criterion results in ${dir} newer than ${new Date(since).toISOString()}`);
  process.exit(1);
}

const byGroup = new Map();
for (const r of found) {
  const g = r.bench.group_id;
  if (!byGroup.has(g)) byGroup.set(g, []);
  byGroup.get(g).push(r);
}

const out = [];
for (const [group, rows] of byGroup) {
  out.push(`#### \`${group}\``, '');
  out.push('| case | median / iteration | 95 % CI | per element | rate |', '|---|---:|---:|---:|---:|');
  for (const { bench, median } of rows) {
    const id = bench.full_id.slice(group.length + 1) || '(one case)';
    const ns = median.point_estimate;
    const ci = median.confidence_interval;
    const tp = throughput(bench, ns);
    const per = tp && !tp.bytes && tp.n > 1 ? time(ns / tp.n) : '';
    const r = tp ? rate(tp.perSecond, tp.bytes) : '';
    out.push(`| ${id} | ${time(ns)} | ${time(ci.lower_bound)} – ${time(ci.upper_bound)} | ${per} | ${r} |`);
  }
  out.push('');
}

// io_uring ÷ epoll: the same case on both drivers, compared by time per iteration
// (rates, where declared, are its inverse: ratio > 1 means io_uring is faster).
const pairs = [];
for (const r of found) {
  const id = r.bench.full_id;
  if (!id.includes('io_uring')) continue;
  const twin = found.find((o) => o.bench.full_id === id.replace('io_uring', 'epoll'));
  if (twin) pairs.push([id.replace('io_uring', '{driver}'), twin.median.point_estimate / r.median.point_estimate]);
}
if (pairs.length) {
  out.push('#### io_uring ÷ epoll (speed: epoll time ÷ io_uring time; above 1, io_uring is faster)', '');
  out.push('| case | io_uring ÷ epoll |', '|---|---:|');
  for (const [id, ratio] of pairs) out.push(`| ${id} | ${ratio.toFixed(2)} |`);
  out.push('');
}

// P8 and P9 memory figures.
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;
for (const [file, title] of [
  ['connections_10k', 'P8 memory: 10,000 idle keep-alive connections, one worker'],
  ['memory_footprint', 'P9 memory: default server (one worker per core)'],
]) {
  const rows = [];
  for (const driver of ['io_uring', 'epoll']) {
    const path = join(dir, file, `memory-${driver}.json`);
    if (!existsSync(path) || statSync(path).mtimeMs < since) continue;
    rows.push(JSON.parse(readFileSync(path, 'utf8')));
  }
  if (!rows.length) continue;
  out.push(`#### ${title}`, '');
  out.push(`| | ${rows.map((r) => r.driver).join(' | ')} |`, `|---|${rows.map(() => '---:').join('|')}|`);
  const line = (label, f) => out.push(`| ${label} | ${rows.map(f).join(' | ')} |`);
  if (file === 'connections_10k') {
    line('RSS before the idle connections', (r) => mib(r.rss_before_bytes));
    line('RSS with them open', (r) => mib(r.rss_with_idle_bytes));
    line('**bytes per idle connection**', (r) => `**${r.bytes_per_idle_connection}**`);
  } else {
    line('RSS at start-up', (r) => mib(r.rss_at_start_bytes));
    line('RSS idle (200 ms later)', (r) => mib(r.rss_idle_bytes));
    line(`peak RSS (VmHWM) under ${rows[0].connections} connections`, (r) => mib(r.vm_hwm_peak_bytes));
    line('RSS at the end of the load', (r) => mib(r.rss_end_of_load_bytes));
    line('RSS 200 ms after the connections closed', (r) => mib(r.rss_after_close_bytes));
  }
  out.push('');
}

console.log(out.join('\n'));
