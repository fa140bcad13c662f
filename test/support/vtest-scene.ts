/**
 * The zones and line drawn on vtest.avi are the demo stream's scene: one definition, kept with the
 * demo, so the tests expect what the demo shows.
 */
export { VTEST_LAWN, VTEST_WALKWAY, VTEST_WEST_LINE } from '../../src/demo/demo-scene';
