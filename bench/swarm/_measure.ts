import { simulate } from './simulate.ts';
async function main() {
  const honest = Number(process.argv[2] ?? 667);
  const liars = Number(process.argv[3] ?? 333);
  const limitMs = Number(process.argv[4] ?? 120_000);
  const modes = (process.argv[5] ?? 'none,stall,bad').split(',') as any;
  for (const l of process.env.ONLY ? [liars] : [0, liars]) {
    const r = await simulate({
      peers: honest,
      liars: l,
      blobBytes: 1 << 20,
      leaveFraction: 0,
      seed: 12,
      limitMs,
      liarModes: modes,
    });
    console.log(JSON.stringify({ ...r, wallMs: Math.round(r.wallMs) }));
  }
}
void main();
