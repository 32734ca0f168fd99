#!/usr/bin/env node
// The `lifeboat` bin (package.json "bin"): the remote CLI in cli/main.ts, run through tsx's loader so that it needs
// no build step. Only LIFEBOAT_URL and LIFEBOAT_TOKEN are read (docs/CLI.md).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
