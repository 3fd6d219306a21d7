export function createBaselineActivities() {
  return {
    async noop(n: number): Promise<number> {
      return n;
    },
  };
}
