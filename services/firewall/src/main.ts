import { runController } from '@kr/agent';
import { firewallController } from './controller.js';

process.exitCode = await runController(firewallController);
