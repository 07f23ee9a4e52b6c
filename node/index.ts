// Public surface of node/. Other folders import only this file.
export {}
