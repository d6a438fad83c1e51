namespace Rookery.Ipc;

/// <summary>corosync's <c>cs_error_t</c> (corotypes.h): what a response header's error field carries. CS_OK is 1.</summary>
public enum CsError
{
    Ok = 1,
    Library = 2,
    Timeout = 5,
    TryAgain = 6,
    InvalidParam = 7,
    NoMemory = 8,
    BadHandle = 9,
    Busy = 10,
    Access = 11,
    NotExist = 12,
    NameTooLong = 13,
    Exist = 14,
    NoSpace = 15,
    NameNotFound = 17,
    NoResources = 18,
    NotSupported = 19,
    FailedOperation = 21,
    MessageError = 22,
    TooBig = 26,
    NoSections = 27,
}
