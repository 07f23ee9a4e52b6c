// Public surface of storage/. Other folders import only this file.
export {}
