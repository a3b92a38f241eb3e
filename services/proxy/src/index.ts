export { proxyController } from './controller.js';
export { computeServiceInventory, type ServiceInventory } from './model/inventory.js';
