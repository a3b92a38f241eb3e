import { runController } from '@kr/agent';
import { routerController } from './controller.js';

process.exitCode = await runController(routerController);
