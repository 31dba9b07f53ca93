// clock.mjs — the one clock of a Node recording. The recorder and its two peer processes stamp their
// trace lines with it, so lines from three processes can be merged in time order: performance.timeOrigin
// is the wall-clock start of each process in milliseconds, performance.now() the monotonic time since.
export const sharedClockMs = () => performance.timeOrigin + performance.now();
