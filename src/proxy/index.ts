/** Proxy curves: cheap small encodes whose VMAF tells the CRF model how a scene's quality falls with CRF. */
export { measureProxyCurves, PROXY_ENCODES, type MeasureProxyOptions, type ProxyProgress } from './measure.js';
export { DEFAULT_PROXY_SPEC, middleFrames, proxyCurveSchema, proxySpecSchema, type ProxyCurve, type ProxySpec } from './spec.js';
