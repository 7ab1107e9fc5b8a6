/**
 * Deep-network defaults: a network of DEEP_NETWORK_LAYERS spiking layers or more gets the
 * deep settings in place of the defaults the user left (and only those); shallow networks and
 * --target nir keep what they were given. The flags left at their defaults come from the CLI.
 */
import { describe, expect, it } from 'vitest';
import { deepSettings } from '../src/convert/convert.js';
import { conversionOptions } from '../src/cli/options.js';
import { DEEP_NETWORK_LAYERS, DEFAULT_CONVERSION, type ConversionOptions } from '../src/model/conversion-settings.js';

const LEFT: ConversionOptions = { ...DEFAULT_CONVERSION, calibTimesteps: 32, deepDefaults: ['percentile', 'channelwise', 'calibrate'] };

describe('deep-network defaults', () => {
  it('a 19-layer network: channel-wise λ fitted for T/2 and gain calibration at T', () => {
    const { options, log } = deepSettings(LEFT, 19);
    expect(options).toMatchObject({ channelwise: true, percentileFit: true, percentileAuto: false, fitTimesteps: 16, calibrate: 'gain', calibTimesteps: 32 });
    expect(options.deepDefaults).toEqual(['percentile', 'channelwise', 'calibrate']);
    expect(log).toContain('19 spiking layers');
    expect(deepSettings({ ...LEFT, calibTimesteps: 128 }, 31).options).toMatchObject({ fitTimesteps: 64, calibTimesteps: 128 });
    expect(deepSettings({ ...LEFT, calibTimesteps: 1 }, 31).options.fitTimesteps).toBe(1);
  });

  it('with signed spikes: λ fitted for the whole run and no calibration', () => {
    const { options, log } = deepSettings({ ...LEFT, signedSpikes: true }, 31);
    expect(options).toMatchObject({ channelwise: true, percentileFit: true, fitTimesteps: 32, calibrate: 'none', signedSpikes: true });
    expect(log).toContain('λ fitted for T=32, no calibration (signed spikes)');
    // What the user gave stays.
    expect(deepSettings({ ...LEFT, signedSpikes: true, fitTimesteps: 16, calibrate: 'gain', deepDefaults: ['percentile', 'channelwise'] }, 31).options).toMatchObject({ fitTimesteps: 16, calibrate: 'gain' });
  });

  it('shallow networks keep the defaults, and the stored settings do not claim deep ones', () => {
    const { options, log } = deepSettings(LEFT, DEEP_NETWORK_LAYERS - 1);
    expect(options).toMatchObject({ channelwise: false, calibrate: 'none', percentile: 99.99 });
    expect(options.percentileFit).toBeUndefined();
    expect(options.deepDefaults).toBeUndefined();
    expect(log).toBeUndefined();
  });

  it('only the settings left at their defaults change', () => {
    const given: ConversionOptions = { ...DEFAULT_CONVERSION, percentile: 99.9, calibrate: 'bias', deepDefaults: ['channelwise'] };
    const { options } = deepSettings(given, 19);
    expect(options).toMatchObject({ channelwise: true, percentile: 99.9, calibrate: 'bias' });
    expect(options.percentileFit).toBeUndefined();
  });

  it('the CLI lists the flags not given, none for --target nir', () => {
    const raw = { calibSamples: '1000', neuron: 'if', readout: 'membrane' };
    expect(conversionOptions(raw, 64).deepDefaults).toEqual(['percentile', 'channelwise', 'calibrate']);
    expect(conversionOptions({ ...raw, percentile: 'fit', channelwise: true }, 64).deepDefaults).toEqual(['calibrate']);
    // --percentile without --channelwise asks for one λ per layer.
    expect(conversionOptions({ ...raw, percentile: '99.9' }, 64).deepDefaults).toEqual(['calibrate']);
    expect(conversionOptions({ ...raw, channelwise: true, calibrate: 'bias' }, 64).deepDefaults).toEqual(['percentile']);
    expect(conversionOptions({ ...raw, percentile: '99', channelwise: true, calibrate: 'none' }, 64).deepDefaults).toBeUndefined();
    expect(conversionOptions({ ...raw, target: 'nir' }, 64).deepDefaults).toBeUndefined();
    expect(deepSettings({ ...LEFT, target: 'nir' }, 19).options).toMatchObject({ channelwise: false, calibrate: 'none' });
  });
});
