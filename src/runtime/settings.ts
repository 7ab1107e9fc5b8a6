/** Options of a spiking run that are not part of the converted network. */
export interface RuntimeSettings {
  /** Seed of every random draw: random v(0), Poisson input spikes, membrane noise. */
  seed: number;
  /** 'constant': the image is a current at every step; 'poisson': random spikes at rate |x|. */
  encoding: 'constant' | 'poisson';
  /** Membrane noise, standard deviation per step in threshold units (0: none). */
  noisePerStep: number;
  /** Spike-triggered adaptation of every spiking layer (adaptive LIF), in timestep units. */
  adaptation?: { b: number; tauSteps: number };
}

export const DEFAULT_RUNTIME: RuntimeSettings = { seed: 0, encoding: 'constant', noisePerStep: 0 };

/** Timesteps of a run when none are asked for. */
export const DEFAULT_TIMESTEPS = 32;
