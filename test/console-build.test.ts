import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { consoleSourceHash } from '../console/source-hash';

const CONSOLE = path.resolve(__dirname, '../console');

describe('the committed console build', () => {
  it('is there, so npm ci && npm start serves the console with no build step', () => {
    for (const file of ['index.html', 'explorer.html', 'source-hash.txt']) expect(existsSync(path.join(CONSOLE, 'dist', file))).toBe(true);
  });

  it('was built from the console sources as they are (npm run console:build after changing them)', () => {
    expect(readFileSync(path.join(CONSOLE, 'dist', 'source-hash.txt'), 'utf8').trim()).toBe(consoleSourceHash(CONSOLE));
  });

  it('loads nothing from another origin', () => {
    for (const page of ['index.html', 'explorer.html']) {
      const html = readFileSync(path.join(CONSOLE, 'dist', page), 'utf8');
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });
});
