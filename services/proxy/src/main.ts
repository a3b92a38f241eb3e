import { runController } from '@kr/agent';
import { proxyController } from './controller.js';

process.exitCode = await runController(proxyController);
