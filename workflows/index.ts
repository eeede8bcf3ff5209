// Entry point for the workflow bundler.
export { campaign, pauseSignal, resumeSignal, stopSignal, statusQuery } from './campaign.js';
export { trial } from './trial.js';
