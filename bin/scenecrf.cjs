#!/usr/bin/env node
'use strict';
// Thin launcher so the bin works from both the ESM and CJS builds.
require('../dist/cli.cjs');
