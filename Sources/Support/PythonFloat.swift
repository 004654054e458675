/// A double as Python's `repr` prints it: shortest round-trip digits, `1e-05` style
/// exponents below 1e-4 and from 1e16, `.0` on whole numbers, `inf`/`nan`. Swift's
/// `description` follows the same rules (tested against Python's output). Settings are
/// written this way in run logs and checkpoints, which Python reads too.
public func pythonFloat(_ x: Double) -> String { x.description }
