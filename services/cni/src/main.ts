import { runController } from '@kr/agent';
import { runCleanupCommand } from './cleanup.js';
import { cniController } from './controller.js';
import { CniDataplane } from './reconcile.js';

const argv = process.argv.slice(2);
process.exitCode = (await runCleanupCommand(argv, () => new CniDataplane())) ?? (await runController(cniController, argv));
