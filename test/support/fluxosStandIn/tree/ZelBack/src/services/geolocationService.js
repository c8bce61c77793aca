// Stand-in for FluxOS's geolocation service: only what getFluxInfo() reads.
function isStaticIP() {
  return false;
}

module.exports = {
  isStaticIP,
};
