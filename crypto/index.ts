// Public surface of crypto/. Other folders import only this file.
export {}
