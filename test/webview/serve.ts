// Serve the panel harness for manual testing: node --import tsx test/webview/serve.ts
import { buildForHarness, startHarnessServer } from './server';

async function main(): Promise<void> {
  await buildForHarness(process.argv.includes('--build'));
  const s = await startHarnessServer();
  console.log(`Harness: ${s.url}?T=20&L=3&H=4&theme=dark  (Ctrl+C to stop)`);
}

main().catch((err) => { console.error(err); process.exit(1); });
