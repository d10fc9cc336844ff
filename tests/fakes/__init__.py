"""Local fakes of the providers' HTTP APIs (small aiohttp apps that record what they receive)."""
