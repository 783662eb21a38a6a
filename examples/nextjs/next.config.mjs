/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  // The example lives inside the library's repository: keep Next.js from picking the root lockfile.
  turbopack: { root: import.meta.dirname },
}

export default nextConfig
