/** Random neuron parameters for property tests of the scans against step(): plain IF, or LIF with reset, rest and refractory period. */
import fc from 'fast-check';
import type { NeuronParams } from '../../src/snn/neuron.js';

export const f32 = (min: number, max: number) => fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true });

export const neuronParams: fc.Arbitrary<NeuronParams> = fc.oneof(
  fc.record({ reset: fc.constantFrom('subtract', 'zero') as fc.Arbitrary<'subtract' | 'zero'>, vThreshold: f32(0.25, 2) }).map(
    ({ reset, vThreshold }): NeuronParams => ({ decay: 1, gain: 1, vRest: 0, vThreshold, vReset: 0, reset, tRefSteps: 0 }),
  ),
  fc.record({
    decay: f32(0.5, 1),
    gain: f32(0.5, 2),
    vRest: f32(-0.5, 0),
    vThreshold: f32(0.25, 2),
    vReset: f32(-0.5, 0.2),
    reset: fc.constantFrom('subtract', 'zero') as fc.Arbitrary<'subtract' | 'zero'>,
    tRefSteps: fc.integer({ min: 0, max: 3 }),
  }),
);
