import Foundation

/// A pinhole depth camera on the rig: depth along the optical axis in metres, and which
/// pixels a real sensor would fail to measure.
struct DepthCamera {
    var width: Int
    var height: Int
    /// Horizontal field of view (RealSense-like 87 degrees).
    var horizontalFOV: Double = 87 * Double.pi / 180
    var minRange: Double = 0.3
    var maxRange: Double

    enum Pixel { case depth(Double), tooFar, tooClose, noReturn }

    /// Renders the scene; `noise` seeds the sensor's speckle so each frame differs.
    func render(_ room: Room, _ pose: RigPose, noise: UInt64) -> [Pixel] {
        let fx = Double(width) / 2 / tan(horizontalFOV / 2)
        let cx = Double(width) / 2, cy = Double(height) / 2
        let f = pose.forward, r = pose.right, u = pose.up
        var depth = [Double](repeating: 0, count: width * height)
        var dark = [Bool](repeating: false, count: width * height)
        for v in 0..<height {
            let dv = (Double(v) + 0.5 - cy) / fx
            for x in 0..<width {
                let du = (Double(x) + 0.5 - cx) / fx
                // Unnormalised ray with unit forward component: t is the depth along the axis.
                let d = f + r * du - u * dv
                let hit = room.cast(from: pose.position, d)
                depth[v * width + x] = hit.t
                dark[v * width + x] = room.isDark(hit.surface)
            }
        }
        var out = [Pixel](repeating: .noReturn, count: width * height)
        let shadow = max(1, width / 320)  // stereo/IR shadow width beside occluding edges
        for v in 0..<height {
            for x in 0..<width {
                let i = v * width + x
                let z = depth[i]
                let h = mix(noise, UInt64(i))
                if z < minRange { out[i] = .tooClose; continue }
                if z > maxRange { out[i] = .tooFar; continue }
                if dark[i] && h % 10 < 7 { out[i] = .noReturn; continue }
                if h % 1000 < 4 { out[i] = .noReturn; continue }  // speckle
                // Pixels just right of a nearer surface are in its shadow.
                var shadowed = false
                for s in 1...shadow where x - s >= 0 && depth[i - s] < z * 0.85 { shadowed = true; break }
                out[i] = shadowed ? .noReturn : .depth(z)
            }
        }
        return out
    }

    private func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var z = a &+ b &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
