export { firewallController } from './controller.js';
export { computePolicyInventory, type PolicyInventory } from './model/inventory.js';
