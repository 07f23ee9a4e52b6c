// Public surface of simulations/. Other folders import only this file.
export {}
