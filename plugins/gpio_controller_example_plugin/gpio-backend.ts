/** One requested GPIO line. */
export interface GpioLine {
  readonly label: string;
  /** The logical value last driven (outputs) or read (inputs). */
  readonly value: boolean;
  /** Drives an output line; throws for an input. */
  set(value: boolean): Promise<void>;
  /** Reads the line's logical value. */
  read(): Promise<boolean>;
  /**
   * Gives the line back as RPi.GPIO's cleanup() does: an output is driven low first, then the line is released and
   * left as an input, so a relay on it drops out.
   */
  release(): Promise<void>;
}

export interface LineRequest {
  /** Kernel line offset on the chip (the BCM GPIO number on a Raspberry Pi). */
  readonly line: number;
  readonly label: string;
  readonly direction: 'input' | 'output';
  /** Initial logical value of an output. */
  readonly initial?: boolean;
  /** Logical high drives the pin low (relay boards that switch on a low input). */
  readonly activeLow?: boolean;
}

/** Access to GPIO lines: the Linux character device on a Pi, or a simulation everywhere else. */
export interface GpioBackend {
  /** For logs, e.g. "gpiochip0 through libgpiod v1 tools" or "simulated GPIO". */
  readonly description: string;
  request(request: LineRequest): Promise<GpioLine>;
}
