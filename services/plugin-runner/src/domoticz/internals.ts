/** Symbol-keyed hooks the runner uses on Units and Devices; plugins never see them in the API. */
export const unitInternals = Symbol('wattbus.unit');
export const deviceInternals = Symbol('wattbus.device');
