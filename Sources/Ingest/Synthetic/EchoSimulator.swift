import Foundation
import Support

/// Binaural echoes of a chirp in a box room: the direct sound, first-order specular
/// reflections from the six walls (image sources) and diffuse returns from every surface
/// the speaker's beam meets (ray-traced scatterers). Delay is path length / c, amplitude
/// falls with distance, each ear has its own path (interaural delay), plus sensor noise.
struct EchoSimulator {
    static let speedOfSound = 340.0
    var sampleRate = 44100.0
    var frames: Int
    /// Microphones sit this far left and right of the rig's centre.
    var earOffset = 0.09
    /// Chirp: linear sweep, Hann-tapered.
    var chirpSeconds = 0.003
    var chirpLow = 2000.0
    var chirpHigh = 20000.0
    var gain = 0.05
    var noiseLevel = 2e-5

    func chirp() -> [Double] {
        let n = Int(chirpSeconds * sampleRate)
        let k = (chirpHigh - chirpLow) / chirpSeconds
        return (0..<n).map { i in
            let t = Double(i) / sampleRate
            let window = 0.5 - 0.5 * cos(2 * Double.pi * Double(i) / Double(n - 1))
            return window * sin(2 * Double.pi * (chirpLow * t + 0.5 * k * t * t))
        }
    }

    /// [left, right] recordings.
    func record(_ room: Room, _ pose: RigPose, rng: inout SeededRandom) -> [[Float]] {
        let pulse = chirp()
        let speaker = pose.position + pose.up * 0.05
        let ears = [pose.position - pose.right * earOffset, pose.position + pose.right * earOffset]
        var signals = [[Double]](repeating: [Double](repeating: 0, count: frames), count: 2)

        func add(_ ear: Int, delaySeconds: Double, amplitude: Double) {
            let pos = delaySeconds * sampleRate
            let i = Int(pos)
            let frac = pos - Double(i)
            guard i >= 0, i < frames else { return }
            let a0 = amplitude * (1 - frac), a1 = amplitude * frac
            signals[ear].withUnsafeMutableBufferPointer { out in
                for (k, p) in pulse.enumerated() {
                    if i + k < frames { out[i + k] += a0 * p }
                    if i + k + 1 < frames { out[i + k + 1] += a1 * p }
                }
            }
        }

        for e in 0..<2 {
            // Direct sound, speaker to microphone.
            let d = (ears[e] - speaker).length
            add(e, delaySeconds: d / Self.speedOfSound, amplitude: gain / max(d, 0.05) * 0.1)
            // Specular first-order reflections: mirror the speaker in each wall.
            for axis in 0..<3 {
                for side in 0..<2 {
                    let wall = side == 0 ? 0 : room.size[axis]
                    var image = speaker
                    if axis == 0 { image.x = 2 * wall - speaker.x } else if axis == 1 { image.y = 2 * wall - speaker.y } else { image.z = 2 * wall - speaker.z }
                    let path = (ears[e] - image).length
                    add(e, delaySeconds: path / Self.speedOfSound, amplitude: gain * room.wallReflectivity * 0.5 / path)
                }
            }
        }

        // Diffuse returns over the speaker's frontal beam.
        let azimuths = 72, elevations = 36
        let azSpan = Double.pi * 0.9, elSpan = Double.pi * 0.6
        let dAz = azSpan / Double(azimuths), dEl = elSpan / Double(elevations)
        let f = pose.forward, r = pose.right, u = pose.up
        for ie in 0..<elevations {
            let el = -elSpan / 2 + (Double(ie) + 0.5) * dEl
            for ia in 0..<azimuths {
                let az = -azSpan / 2 + (Double(ia) + 0.5) * dAz
                let dir = f * (cos(el) * cos(az)) + r * (cos(el) * sin(az)) + u * sin(el)
                let hit = room.cast(from: speaker, dir)
                guard hit.t.isFinite else { continue }
                let point = speaker + dir * hit.t
                let offAxis = max(0, dir.dot(f))
                let directivity = offAxis * offAxis  // a narrow-ish horn
                let incidence = max(0, -dir.dot(hit.normal))
                let solidAngle = cos(el) * dAz * dEl
                let weight = gain * room.reflectivity(of: hit.surface) * directivity * incidence * solidAngle * 16
                for e in 0..<2 {
                    let back = (ears[e] - point).length
                    add(e, delaySeconds: (hit.t + back) / Self.speedOfSound, amplitude: weight / max(hit.t * back, 0.01))
                }
            }
        }

        return signals.map { channel in
            channel.map { Float($0 + noiseLevel * rng.normal()) }
        }
    }
}
