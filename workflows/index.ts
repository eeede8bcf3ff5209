// Entry point for the workflow bundler.
export { campaign } from './campaign.js';
export { trial } from './trial.js';
