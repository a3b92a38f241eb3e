#!/usr/bin/env node
// Entry point kept outside dist/ so pnpm can link it before the first build.
import "../dist/main.js";
