import { runController } from '@kr/agent';
import { cniController } from './controller.js';

process.exitCode = await runController(cniController);
