#!/usr/bin/env node
/** The `fluxos-preprod` bin entry; the program lives in cli/main.ts. */
import { runAsProgram } from './cli/main';

runAsProgram();
