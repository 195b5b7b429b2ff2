/** The address in an OpenPGP user id: "Name <a@b>", or a bare "a@b" (RFC 9580, section 5.11, by convention). */
export function addressOfUserId(userId: string): string | null {
  const angle = /<([^<>\s]+@[^<>\s]+)>/.exec(userId);
  if (angle) return angle[1]!;
  const bare = /^\s*([^\s<>]+@[^\s<>]+)\s*$/.exec(userId);
  return bare ? bare[1]! : null;
}
