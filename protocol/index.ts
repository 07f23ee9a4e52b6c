// Public surface of protocol/. Other folders import only this file.
export {}
