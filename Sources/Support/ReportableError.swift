import Foundation

/// An error the tool reports as a plain message: every error type of the tool conforms,
/// and the command line prints its description and exits 2.
public protocol ReportableError: Error, CustomStringConvertible {}

/// A readable reason for any error: ours as they describe themselves, Foundation's as the
/// system's words (not an "NSCocoaErrorDomain Code=642" dump).
public func plainReason(_ error: Error) -> String {
    if let own = error as? ReportableError { return own.description }
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    return ns.localizedFailureReason ?? ns.localizedDescription
}
